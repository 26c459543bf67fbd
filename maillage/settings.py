"""Maillage settings: one module, everything that varies comes from the environment.

Two environments:
- ``MAILLAGE_ENV=demo`` (default): SQLite under ``var/``, a secret key generated once into
  ``var/secret_key``, static files served from the source tree by whitenoise.
- ``MAILLAGE_ENV=production``: ``SECRET_KEY`` and ``ALLOWED_HOSTS`` are required, cookies are
  secure, HSTS and HTTPS redirect are on, static files come from ``collectstatic``.
"""

import os
import secrets
import sys
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("MAILLAGE_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env()

MAILLAGE_ENV = env.str("MAILLAGE_ENV", default="demo")
if MAILLAGE_ENV not in {"demo", "production"}:
    raise ImproperlyConfigured("MAILLAGE_ENV must be 'demo' or 'production'.")
PRODUCTION = MAILLAGE_ENV == "production"
TESTING = "pytest" in sys.modules or env.bool("MAILLAGE_TESTING", default=False)

DEBUG = env.bool("DEBUG", default=False)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured(
        "DEBUG must be off in production (MAILLAGE_ENV=production): it shows code, settings and "
        "personal data on error pages. Unset DEBUG or set DEBUG=false."
    )

# Django's own rule for a strong key (``check --deploy``, security.W009), enforced at start-up.
SECRET_KEY_MIN_LENGTH = 50
SECRET_KEY_MIN_UNIQUE_CHARACTERS = 5


def _check_production_secret_key(key: str) -> str:
    if (
        len(key) < SECRET_KEY_MIN_LENGTH
        or len(set(key)) < SECRET_KEY_MIN_UNIQUE_CHARACTERS
        or key.startswith("django-insecure-")
    ):
        raise ImproperlyConfigured(
            f"SECRET_KEY is too weak for production: at least {SECRET_KEY_MIN_LENGTH} "
            f"characters, {SECRET_KEY_MIN_UNIQUE_CHARACTERS} different ones, not Django's "
            "'django-insecure-' default. Generate one: "
            "python -c 'import secrets; print(secrets.token_urlsafe(64))'"
        )
    return key


def _secret_key() -> str:
    key = env.str("SECRET_KEY", default="")
    if PRODUCTION:
        if not key:
            raise ImproperlyConfigured(
                "SECRET_KEY is required in production (MAILLAGE_ENV=production)."
            )
        return _check_production_secret_key(key)
    if key:
        return key
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(64))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()


def _field_encryption_keys() -> list[str]:
    keys = env.list("FIELD_ENCRYPTION_KEY", default=[])
    if keys:
        return keys
    if PRODUCTION:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEY is required in production (a Fernet key: "
            "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key())')."
        )
    from cryptography.fernet import Fernet

    key_file = VAR_DIR / "field_key"
    if not key_file.exists():
        key_file.write_text(Fernet.generate_key().decode())
        key_file.chmod(0o600)
    return [key_file.read_text().strip()]


FIELD_ENCRYPTION_KEYS = _field_encryption_keys()

if PRODUCTION:
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
else:
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "csp",
    "axes",
    "huey.contrib.djhuey",
    # Maillage apps, in demo-loading order.
    "maillage.core",
    "maillage.territory",
    "maillage.beneficiaries",
    "maillage.admissions",
    "maillage.care",
    "maillage.visits",
    "maillage.oncall",
    "maillage.portal",
    "maillage.lodging",
    "maillage.organisation",
    "maillage.surveys",
    "maillage.outreach",
    "maillage.steering",
    "maillage.regional",
    "maillage.interop",
    "maillage.rounds",
    "maillage.offline",
]

MIDDLEWARE = [
    # Outermost: the request id, the latency by view (Prometheus) and the access log line.
    "maillage.core.observability.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files answer here (already compressed in production: CompressedManifest storage).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # HTML compressed on the way out: above every middleware that reads or changes the body
    # (Django's GZip pads with random bytes against BREACH).
    "django.middleware.gzip.GZipMiddleware",
    # Django's, with a database outage during the session's save answered 503 (not 400).
    "maillage.core.middleware.SessionMiddleware",
    "maillage.core.middleware.SessionRefreshMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # A NUL in the address is dropped (PostgreSQL's text holds none).
    "maillage.core.middleware.NulFreeQueryMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "maillage.core.middleware.CurrentCrtMiddleware",
    # django-axes must come last.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "maillage.urls"
WSGI_APPLICATION = "maillage.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "maillage.core.context_processors.shell",
            ],
            # ``count_label`` / ``fr_plural`` (French plurals) in every template without a load.
            "builtins": ["template_partials.templatetags.partials",
                         "maillage.core.templatetags.maillage_tags"],
        },
    }
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'maillage.sqlite3'}"),
}
DATABASES["default"].setdefault("ATOMIC_REQUESTS", False)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Concurrent writers wait for each other instead of failing with "database is locked":
    # WAL lets readers run beside the writer; every transaction starts with BEGIN IMMEDIATE
    # (takes the write lock up front, so a read-then-write transaction never has to upgrade
    # its lock, which SQLite refuses at once); the busy timeout is how long a writer waits.
    DATABASES["default"].setdefault("OPTIONS", {}).update({
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "timeout": env.int("SQLITE_BUSY_TIMEOUT", default=20),
        "transaction_mode": "IMMEDIATE",
    })
else:
    # Persistent connections, checked before reuse (a restarted or failed-over server does not
    # turn the next request into a 500).
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache: the rate limits of the public forms, the login and the password links
# (maillage.core.ratelimit). It must be shared by every worker process: the database cache by
# default (table created by the migration core/0006), Redis when CACHE_URL=redis://host:6379/1.
# Never the local-memory cache, which counts per process.
CACHES = {"default": env.cache("CACHE_URL", default="dbcache://maillage_cache")}
# The FHIR API: requests per minute and per token (429 beyond, on the cache above).
FHIR_RATE_LIMIT_PER_MINUTE = env.int("FHIR_RATE_LIMIT_PER_MINUTE", default=120)
# CDA documents (DLU, transfer sheet: maillage.oncall.cda): the OID root of the CRT's
# identifiers (documents ROOT.2, patients ROOT.1, users ROOT.3), e.g. an OID the carrier
# obtained for its information system. Empty: every identifier is a UUID (valid in CDA R2).
CDA_OID_ROOT = env.str("CDA_OID_ROOT", default="")

AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # Pro Santé Connect: only the PSC return page calls it (docs/psc.md).
    "maillage.interop.psc.PscBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING:
    # Argon2 is deliberately slow; tests create hundreds of users. Production never takes this.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Links to choose one's password (new accounts, lost passwords): used once, valid this long.
PASSWORD_RESET_TIMEOUT = 24 * 3600 * env.int("PASSWORD_LINK_DAYS", default=3)
LOGIN_URL = "core:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "core:login"

# Pro Santé Connect, the professionals' login (OpenID Connect; docs/psc.md). Shown on the login
# page once a client id is set (PSC_ENABLED forces it on or off). The defaults are the ANS
# sandbox (« BAS »); production values are in docs/psc.md.
PSC_CLIENT_ID = env("PSC_CLIENT_ID", default="")
PSC_CLIENT_SECRET = env("PSC_CLIENT_SECRET", default="")
PSC_ENABLED = env.bool("PSC_ENABLED", default=bool(PSC_CLIENT_ID))
PSC_ISSUER = env(
    "PSC_ISSUER", default="https://auth.bas.psc.esante.gouv.fr/auth/realms/esante-wallet")
PSC_AUTHORIZATION_ENDPOINT = env(
    "PSC_AUTHORIZATION_ENDPOINT", default="https://wallet.bas.psc.esante.gouv.fr/auth")
PSC_TOKEN_ENDPOINT = env("PSC_TOKEN_ENDPOINT",
                         default=f"{PSC_ISSUER}/protocol/openid-connect/token")
PSC_USERINFO_ENDPOINT = env("PSC_USERINFO_ENDPOINT",
                            default=f"{PSC_ISSUER}/protocol/openid-connect/userinfo")
PSC_JWKS_ENDPOINT = env("PSC_JWKS_ENDPOINT", default=f"{PSC_ISSUER}/protocol/openid-connect/certs")
PSC_LOGOUT_ENDPOINT = env("PSC_LOGOUT_ENDPOINT",
                          default=f"{PSC_ISSUER}/protocol/openid-connect/logout")
# The ID token's signature algorithm as PSC's discovery document announces it (RS256; HS256
# would sign with the client secret).
PSC_SIGN_ALGO = env("PSC_SIGN_ALGO", default="RS256")
PSC_USE_PKCE = env.bool("PSC_USE_PKCE", default=True)
PSC_TIMEOUT = env.int("PSC_TIMEOUT_SECONDS", default=10)
# The client authenticates at the token endpoint with HTTP Basic (client_secret_basic) instead of
# the form body (client_secret_post).
PSC_TOKEN_AUTH_BASIC = env.bool("PSC_TOKEN_AUTH_BASIC", default=False)
# Maillage's logout also ends the PSC session (core.views.LogoutView calls this).
OIDC_OP_LOGOUT_URL_METHOD = "maillage.interop.psc.logout_url"

# Lockout after repeated failures (django-axes). The database handler keeps the failed attempts
# in a table (axes_accessattempt): every worker and server shares the same counters.
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked.html"
AXES_VERBOSE = False
AXES_IPWARE_PROXY_COUNT = env.int("PROXY_COUNT", default=0) or None

# Sessions expire after inactivity: each write pushes the expiry back by SESSION_COOKIE_AGE, and
# core.middleware.SessionRefreshMiddleware writes it at most once a minute of activity.
SESSION_COOKIE_AGE = 60 * env.int("SESSION_IDLE_MINUTES", default=30)
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "maillage.core.views.csrf_failure"

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # The probes of the container engine and of Prometheus talk plain HTTP to the instance,
    # inside the platform's network, without the proxy's X-Forwarded-Proto.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    if env.bool("BEHIND_HTTPS_PROXY", default=True):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy: no inline script, no inline style, nothing from elsewhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}


def psc_form_action(policy: dict, logout_endpoint: str) -> None:
    """Maillage's logout form is answered by a redirect to PSC's end-session endpoint: browsers
    apply ``form-action`` to that redirect, so PSC's origin joins it (only when PSC is on)."""
    url = urlsplit(logout_endpoint)
    origin = f"{url.scheme}://{url.netloc}"
    if origin not in policy["DIRECTIVES"]["form-action"]:
        policy["DIRECTIVES"]["form-action"] = [*policy["DIRECTIVES"]["form-action"], origin]


if PSC_ENABLED:
    psc_form_action(CONTENT_SECURITY_POLICY, PSC_LOGOUT_ENDPOINT)

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français")]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True
DATE_FORMAT = "d/m/Y"
DATETIME_FORMAT = "d/m/Y H:i"
SHORT_DATE_FORMAT = "d/m/Y"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
TIME_FORMAT = "H:i"
FORMAT_MODULE_PATH = ["maillage.formats"]

STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "maillage" / "static"]
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# Territory map (territory:map): the tile server's URL template, e.g.
# https://tile.example.org/{z}/{x}/{y}.png, and its attribution. Empty: no tiles, the communes
# are drawn on a plain background (works offline). The tile host is allowed by the map page's
# Content-Security-Policy only.
MAP_TILE_URL = env.str("MAP_TILE_URL", default="")
MAP_TILE_ATTRIBUTION = env.str("MAP_TILE_ATTRIBUTION", default="")

# Backups (maillage.core.backup, docs/operations.md "Backups and restore"): the key that
# encrypts them (32 random bytes, URL-safe base64: ``maillage backup --nouvelle-cle``), checked
# when a backup or a restore runs; the folder of the nightly backups (empty: none) and how many
# of them are kept.
BACKUP_KEY = env.str("BACKUP_KEY", default="")
BACKUP_DIR = env.str("BACKUP_DIR", default="")
BACKUP_KEEP = env.int("BACKUP_KEEP", default=14)
if BACKUP_KEEP < 1:
    raise ImproperlyConfigured("BACKUP_KEEP must be at least 1 (the number of nightly backups "
                               "kept).")

# Uploaded documents: accepted types and maximum size (checked on content, not only the name).
DOCUMENT_MAX_BYTES = env.int("DOCUMENT_MAX_MB", default=10) * 1024 * 1024
FILE_UPLOAD_PERMISSIONS = 0o600
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Outside production, whitenoise serves straight from the source tree (no collectstatic).
WHITENOISE_USE_FINDERS = not PRODUCTION
# In tests, every test client builds its own handler: without autorefresh, whitenoise would
# scan every static file each time (≈ 20 ms per test); with it, files are looked up on request.
WHITENOISE_AUTOREFRESH = DEBUG or TESTING

EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default=(
        "django.core.mail.backends.smtp.EmailBackend"
        if PRODUCTION
        else "django.core.mail.backends.console.EmailBackend"
    ),
)
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default="Maillage <ne-pas-repondre@maillage.local>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The outbox sends through the task queue: a mail server that does not answer must not hold a
# worker forever.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
# How long a worker keeps an outbox message it is sending before another worker may take it again
# (the first one presumed dead): longer than any SMTP exchange.
OUTBOX_LEASE_SECONDS = env.int("OUTBOX_LEASE_SECONDS", default=300)
# The wait before the first new attempt of a message that failed; doubled at each failure.
OUTBOX_FIRST_RETRY_SECONDS = env.int("OUTBOX_FIRST_RETRY_SECONDS", default=60)

# MSSanté (docs/mssante.md): the operator's SMTP server, separate from the e-mail backend above.
# SECURITY: "starttls" (port 587) or "tls" (implicit TLS, port 465). CERT/KEY: the box's IGC
# Santé certificate (client authentication); CA: the bundle the server is checked against.
# NIL: the X-MSS-NIL header (the software's reference on the ANS Convergence platform).
MSSANTE_HOST = env.str("MSSANTE_HOST", default="")
MSSANTE_SECURITY = env.str("MSSANTE_SECURITY", default="starttls")
MSSANTE_PORT = env.int("MSSANTE_PORT", default=465 if MSSANTE_SECURITY == "tls" else 587)
MSSANTE_CERT_FILE = env.str("MSSANTE_CERT_FILE", default="")
MSSANTE_KEY_FILE = env.str("MSSANTE_KEY_FILE", default="")
MSSANTE_CA_FILE = env.str("MSSANTE_CA_FILE", default="")
MSSANTE_USERNAME = env.str("MSSANTE_USERNAME", default="")
MSSANTE_PASSWORD = env.str("MSSANTE_PASSWORD", default="")
MSSANTE_SENDER = env.str("MSSANTE_SENDER", default="")
MSSANTE_NIL = env.str("MSSANTE_NIL", default="")
MSSANTE_TIMEOUT = env.int("MSSANTE_TIMEOUT", default=30)
# The OID under which Maillage's local identifiers (the person's local id, the submission's
# source) are written in XDM metadata; the default is a placeholder to replace (docs/mssante.md).
MSSANTE_SOURCE_OID = env.str("MSSANTE_SOURCE_OID", default="1.2.250.1.999.1")

# Rounds (docs/rounds.md): the solver's time for a day's proposal, in seconds (computed on the
# task queue; a day of 60 visits is answered well within 5 s).
ROUNDS_SOLVER_SECONDS = env.float("ROUNDS_SOLVER_SECONDS", default=1.0 if TESTING else 5.0)
# A number of solver moves instead (still within the seconds above): the same proposal on any
# machine, however loaded (the browser journeys); empty, the time alone bounds the search.
ROUNDS_SOLVER_ITERATIONS = env.int("ROUNDS_SOLVER_ITERATIONS", default=None)

# Task queue (Huey, through huey.contrib.djhuey): periodic jobs (each app's tasks.py) and the
# outbox. A SQLite file under var/ by default (nothing to install); Redis when REDIS_URL is set,
# so several worker machines share one queue. ``maillage worker`` runs a consumer; ``maillage
# serve`` and ``maillage demo`` start one beside the server. Tests run tasks at once, in memory
# (HUEY_IMMEDIATE=0 for the tests that start real consumers).
REDIS_URL = env.str("REDIS_URL", default="")
HUEY = {
    "name": env.str("HUEY_NAME", default="maillage"),
    "immediate": env.bool("HUEY_IMMEDIATE", default=TESTING),
    "utc": True,
    "consumer": {
        "workers": env.int("HUEY_WORKERS", default=2),
        "worker_type": "thread",
        "periodic": True,
        "check_worker_health": True,
    },
}
if REDIS_URL:
    HUEY.update({"huey_class": "huey.RedisHuey", "url": REDIS_URL})
else:
    HUEY.update({"huey_class": "huey.SqliteHuey",
                 "filename": env.str("HUEY_FILE", default=str(VAR_DIR / "huey.sqlite3"))})
ADMINS = [("Admin", a) for a in env.list("ADMIN_EMAILS", default=[])]

# Logs on the standard error: one JSON object per line (LOG_FORMAT=json, the default) or text
# for a developer's terminal (LOG_FORMAT=text). Every record carries the request id; the access
# log is ``maillage.access`` (one line per request: method, path without query string, view,
# status, duration, user id), never health data (maillage/core/observability.py).
LOG_FORMAT = env.str("LOG_FORMAT", default="json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "maillage.core.observability.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "maillage.core.observability.JsonFormatter"},
        "text": {"()": "maillage.core.observability.TextFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["request_id"],
                             "formatter": "json" if LOG_FORMAT == "json" else "text"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
    "loggers": {
        "axes": {"level": "WARNING"},
        # Our own information (periodic tasks, the outbox) and the access log.
        "maillage": {"level": env.str("MAILLAGE_LOG_LEVEL", default="INFO")},
        "maillage.access": {"level": "INFO" if env.bool("ACCESS_LOG", default=True)
                            else "WARNING"},
        # The consumer's own lines (task started, finished): its handler is the root's.
        "huey": {"level": "INFO"},
    },
}
# /metrics (Prometheus): with a token, only ``Authorization: Bearer <token>``; without, only
# from the machine itself (127.0.0.1). Never proxied to the Internet (deploy/).
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# Where ``maillage serve`` keeps its processes' counters (Prometheus multiprocess mode, emptied
# at each start). A process started with PROMETHEUS_MULTIPROC_DIR set (gunicorn's workers, the
# consumer) writes its counters there: the folder must exist before prometheus_client loads.
METRICS_DIR = env.str("METRICS_DIR", default=str(VAR_DIR / "metrics"))
if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).mkdir(parents=True, exist_ok=True)

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# Annuaire Santé FHIR API v2 (territory/annuaire_api.py): the key from the ANS API portal; the
# monthly refresh (territory/tasks.py) runs only when it is set.
ESANTE_API_URL = env.str("ESANTE_API_URL", default="https://gateway.api.esante.gouv.fr/fhir/v2")
ESANTE_API_KEY = env.str("ESANTE_API_KEY", default="")

# The CRT's MSSanté mailbox read by IMAP (interop/mssante/inbox.py): the GPs' answers to
# prescription requests arrive there. Polled every 5 minutes when a host is set. Security:
# "ssl" (implicit TLS, port 993), "starttls", or "none" (local tests only). A client
# certificate (IGC Santé, for an organisational box) and a CA bundle may be given as files.
MSSANTE_IMAP_HOST = env.str("MSSANTE_IMAP_HOST", default="")
MSSANTE_IMAP_PORT = env.int("MSSANTE_IMAP_PORT", default=993)
MSSANTE_IMAP_SECURITY = env.str("MSSANTE_IMAP_SECURITY", default="ssl")
MSSANTE_IMAP_USER = env.str("MSSANTE_IMAP_USER", default="")
MSSANTE_IMAP_PASSWORD = env.str("MSSANTE_IMAP_PASSWORD", default="")
MSSANTE_IMAP_FOLDER = env.str("MSSANTE_IMAP_FOLDER", default="INBOX")
MSSANTE_IMAP_CA_FILE = env.str("MSSANTE_IMAP_CA_FILE", default="")
MSSANTE_IMAP_CERT_FILE = env.str("MSSANTE_IMAP_CERT_FILE", default="")
MSSANTE_IMAP_KEY_FILE = env.str("MSSANTE_IMAP_KEY_FILE", default="")
MSSANTE_IMAP_TIMEOUT = env.int("MSSANTE_IMAP_TIMEOUT", default=30)
MSSANTE_MAX_ATTACHMENT_BYTES = env.int("MSSANTE_MAX_ATTACHMENT_MB", default=10) * 1024 * 1024
# Prescription requests to the GP (care/services/prescriptions.py): reminded after this many
# days without an answer, at most this many times.
PRESCRIPTION_REMINDER_DAYS = env.int("PRESCRIPTION_REMINDER_DAYS", default=7)
PRESCRIPTION_MAX_REMINDERS = env.int("PRESCRIPTION_MAX_REMINDERS", default=3)
