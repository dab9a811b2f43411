# Sourced by ./unblend, .ci/run and bench scripts: sets JAVA_HOME to a JDK 25 or newer, or
# stops with a message that says how to get one.

unblend_java_major() {
  "$1/bin/java" -XshowSettings:properties -version 2>&1 |
    sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p'
}

unblend_find_jdk() {
  local candidate
  for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*25* /usr/lib/jvm/*2[6-9]* \
      "$(dirname "$(dirname "$(readlink -f "$(command -v java 2>/dev/null || echo /nonexistent)")")")"; do
    [ -n "$candidate" ] && [ -x "$candidate/bin/java" ] && [ -x "$candidate/bin/javac" ] || continue
    local major
    major="$(unblend_java_major "$candidate")"
    if [ -n "$major" ] && [ "$major" -ge 25 ]; then
      export JAVA_HOME="$candidate"
      return 0
    fi
  done
  cat >&2 <<'MSG'
unblend: no JDK 25 or newer found (looked at $JAVA_HOME, /usr/lib/jvm/temurin-25-jdk-amd64,
/usr/lib/jvm/*25*, and the java on PATH).
Install one and run again, for example:
  - Debian/Ubuntu: add the Adoptium repository (https://adoptium.net/installation/linux/) and
    apt-get install temurin-25-jdk
  - or unpack a JDK 25 tarball and export JAVA_HOME=/path/to/jdk-25
MSG
  return 1
}
