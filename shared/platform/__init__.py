"""Mechanics every service shares: settings, identity, envelope, event store, relay, consumers, API."""
