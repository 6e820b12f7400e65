"""Inventory Service: the database layer and its migrations."""
