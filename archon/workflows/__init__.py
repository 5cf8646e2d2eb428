"""Workflows: YAML DAGs of bash and AI-prompt nodes, their loader and executor. Never prints."""
