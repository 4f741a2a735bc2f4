#!/usr/bin/env bash
echo "script for {{ ds }} in {{ params.table }}"
