"""Code that every shop service shares, installed into each service as a dependency."""
