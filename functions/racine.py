"""Racine workflows: user-defined DAGs run by a generic orchestrator.

Endpoints arrive with this group's issue; the blueprint is registered already so the app's shape is fixed.
"""

import azure.durable_functions as df

bp = df.Blueprint()
