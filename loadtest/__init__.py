"""Load tests of the shop: Locust shapes, SLO check, plots, capacity, HPA simulator and observer."""
