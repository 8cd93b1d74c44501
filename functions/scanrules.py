"""Scan rule sets: versioned classification rule documents and templates.

Endpoints arrive with this group's issue; the blueprint is registered already so the app's shape is fixed.
"""

import azure.durable_functions as df

bp = df.Blueprint()
