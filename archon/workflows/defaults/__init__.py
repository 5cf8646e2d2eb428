"""Bundled workflow definitions (package data). Each ``archon-*.yaml`` here is a workflow archon ships."""
