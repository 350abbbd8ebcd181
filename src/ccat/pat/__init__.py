"""`ccat pat`: check and rotate one GitHub Actions secret across a dependency graph."""
