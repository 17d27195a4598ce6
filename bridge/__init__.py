"""An Asterisk AMI bridge serving the iSymphony 3.2+ live REST API."""

__version__ = "0.1.0"
