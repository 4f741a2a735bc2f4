"""The metadata database: engine set-up, tables, migrations, and the store functions that hold
all of Slipstream's SQL."""
