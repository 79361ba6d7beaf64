"""HTML reports built from run folders only (JSON/CSV files; no torch import)."""
