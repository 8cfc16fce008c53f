"""Side-by-side benchmark of this app's worker and its peers (see bench/README.md)."""
