/* placeholder until the client lands */
const PRECACHE = {{ precache_json|safe }};
