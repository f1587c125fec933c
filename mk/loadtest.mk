# Load tests that prove the HPA: a cluster run with an observer, a simulator, capacity and a
# benchmark. The code is in loadtest/; docs/load-testing.md explains each target.

# Overlay under kustomize/overlays whose HPAs and requests are used.
ENV ?= dev
# Load shape: step, spike, soak or ramp-down; parameters as SHAPE_<FIELD>=value.
SHAPE ?= step
# The cluster gateway's URL for loadtest-hpa, e.g. after `kubectl port-forward`.
HOST ?=
# Measured costs for hpa-sim; `make capacity` writes a fresh one under reports/capacity.
CAPACITY ?= loadtest/capacity.json
POLL_SECONDS ?= 5
REPORTS ?= reports

.PHONY: loadtest-hpa hpa-sim capacity bench

loadtest-hpa: install ## Run SHAPE against the cluster at HOST, observe and judge its HPAs
	@test -n "$(HOST)" || { echo "HOST is not set: give the gateway URL, e.g. HOST=http://127.0.0.1:8080"; exit 2; }
	$(VENV_PYTHON) -m loadtest.hpa.cluster_run --env $(ENV) --host $(HOST) --shape $(SHAPE) \
	  --poll-seconds $(POLL_SECONDS) --report-dir $(REPORTS)/hpa-$(ENV) \
	  $(if $(KUBE_CONTEXT),--context $(KUBE_CONTEXT))

hpa-sim: install ## Predict HPA replicas for SHAPE from the ENV overlay and CAPACITY
	$(VENV_PYTHON) -m loadtest.hpa.predict --env $(ENV) --shape $(SHAPE) \
	  --capacity $(CAPACITY) --report-dir $(REPORTS)/hpa-sim

capacity: install ## Measure CPU per request and requests/s per pod on the local stack
	$(VENV_PYTHON) -m loadtest.capacity --env $(ENV) --report-dir $(REPORTS)/capacity

bench: install ## Benchmark with servers on core 0 and Locust on core 1; prints ratios
	$(VENV_PYTHON) -m loadtest.bench --report-dir $(REPORTS)/bench
