"""Composition root: one Durable Functions app with one blueprint per domain group. Nothing else."""

import azure.durable_functions as df

from core.observability import install_correlation_filter
from functions import (
    audit,
    catalog,
    classification,
    compliance,
    datasources,
    racine,
    scanrules,
    scans,
    system,
    workspaces,
)

install_correlation_filter()

app = df.DFApp()
for group in (system, workspaces, datasources, scanrules, classification, catalog, scans, racine, compliance, audit):
    app.register_functions(group.bp)
