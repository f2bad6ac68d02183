"""A Python client for the annotation-qc REST API: ``from aqc_client import Client``."""

from aqc_client.arrays import box_predictions, boxes_payload, class_predictions
from aqc_client.client import ENDPOINTS, SUPPORTED_API_VERSIONS, Client, as_frame
from aqc_client.errors import (
    APIError,
    AQCError,
    AuthenticationFailed,
    BadRequest,
    ChecksumMismatch,
    Conflict,
    ConnectionFailed,
    IncompatibleServer,
    JobFailed,
    JobTimeout,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    RateLimited,
    ServerError,
)

__all__ = [
    "ENDPOINTS",
    "SUPPORTED_API_VERSIONS",
    "APIError",
    "AQCError",
    "AuthenticationFailed",
    "BadRequest",
    "ChecksumMismatch",
    "Client",
    "Conflict",
    "ConnectionFailed",
    "IncompatibleServer",
    "JobFailed",
    "JobTimeout",
    "NotFound",
    "PayloadTooLarge",
    "PermissionDenied",
    "RateLimited",
    "ServerError",
    "as_frame",
    "box_predictions",
    "boxes_payload",
    "class_predictions",
]
