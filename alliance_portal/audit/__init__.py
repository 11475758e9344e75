"""The tamper-evident audit log. Services call :func:`audit_record` inside their transaction."""

from .chain import ChainReport, audit_chain_extend, audit_chain_monitor, audit_chain_verify
from .services import audit_record, audit_record_many, client_ip

__all__ = [
    "ChainReport",
    "audit_chain_extend",
    "audit_chain_monitor",
    "audit_chain_verify",
    "audit_record",
    "audit_record_many",
    "client_ip",
]
