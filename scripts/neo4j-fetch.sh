#!/usr/bin/env bash
# Fetches Neo4j 5.26 LTS from Maven Central and compiles the test launcher (test/neo4j); fast no-op when already built.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="$here/test/neo4j"
stamp="$dir/target/.built"

command -v java >/dev/null || { echo "neo4j-fetch: java not found (Java 17 is required)" >&2; exit 1; }
command -v mvn >/dev/null || { echo "neo4j-fetch: mvn not found (Maven is required)" >&2; exit 1; }

# Rebuild only when the pom or the launcher changed since the last build.
if [[ -f "$stamp" && -d "$dir/target/dependency" && -z "$(find "$dir/pom.xml" "$dir/src" -newer "$stamp" -print -quit)" ]]; then
  echo "neo4j-fetch: up to date ($dir/target)"
  exit 0
fi

mvn -q -B -Dstyle.color=never -f "$dir/pom.xml" package dependency:copy-dependencies -DincludeScope=runtime -DskipTests
touch "$stamp"
echo "neo4j-fetch: built $dir/target (run: java -cp 'target/classes:target/dependency/*' Launcher PORT DATADIR)"
