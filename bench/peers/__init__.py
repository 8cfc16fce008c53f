"""Job bodies and enqueue scripts of the peers (each runs in its own venv, cwd = here)."""
