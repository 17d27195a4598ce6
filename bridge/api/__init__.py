"""The live REST API: one module per resource, the URL map in ``routes``."""
