"""gunicorn settings for the store server:

    gunicorn -c python:store_server.gunicorn_conf -w 4 --threads 8 'store_server:create_app()'

gunicorn answers a request line over its limit with its own HTML page; Plaza's API answers
every error as problem+json. So gunicorn does not cut request lines here, and the application
refuses over-long URLs itself (414 problem, store_server.app.MAX_URL_LENGTH).
"""

limit_request_line = 0
