"""A minimal service built on servicekit, run as a real process by the servicekit tests."""
