"""Agreement reports, consensus per item (with dynamic overlap), and manual resolution."""
