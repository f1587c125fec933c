"""The HorizontalPodAutoscaler: its algorithm, a simulator and an observer for a real cluster."""
