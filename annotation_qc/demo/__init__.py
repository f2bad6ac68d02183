"""Demo data made locally (no downloads): digits for classification, shape scenes for boxes."""
