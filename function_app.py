"""Composition root: one Durable Functions app with one blueprint per domain group. Nothing else."""

import azure.durable_functions as df

from core.observability import install_correlation_filter
from functions import (
    audit,
    authz,
    catalog,
    classification,
    compliance,
    datasources,
    events,
    racine,
    scanrules,
    scans,
    system,
    workspaces,
)

install_correlation_filter()

app = df.DFApp()
GROUPS = (
    system,
    events,
    workspaces,
    authz,
    datasources,
    scanrules,
    classification,
    catalog,
    scans,
    racine,
    compliance,
    audit,
)
for group in GROUPS:
    app.register_functions(group.bp)
