"""annotation-qc: quality control for data annotation."""
