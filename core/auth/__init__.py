"""Identity and access: token verification, principals, roles and workspace-scoped access."""
