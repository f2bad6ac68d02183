"""Services of data in and out: uploads and the import job, export snapshots."""
