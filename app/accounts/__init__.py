"""Accounts: WeChat users, staff accounts, roles with scopes, bearer tokens."""
