"""Production entry: gunicorn -w 1 --threads 100 'warroom.wsgi:app'.

Reads the config file named by WARROOM_CONFIG (default config.toml).
"""

import os

from .app import create_app, start_background

app = create_app(os.environ.get("WARROOM_CONFIG", "config.toml"))
start_background(app)
