#!/usr/bin/env bash
# One-shot setup of HDFS for the docker-compose stack: run by the `init-hdfs` service in the
# apache/hadoop image, as that image's user `hadoop`, which is the HDFS superuser because it also
# runs the namenode. Idempotent.
#
# It is a file rather than an inline `bash -c '...'` because the image's entrypoint
# (/opt/starter.sh) ends in an unquoted $@, which would split an inline script into words.
set -euo pipefail

root=${KAFKA2HDFS_HDFS_ROOT:-/warehouse}
owner=${KAFKA2HDFS_HDFS_USER:-kafka2hdfs}

# The namenode is healthy (out of safe mode) before this runs; wait for a live datanode too, so
# that the loader's first write finds somewhere to put its blocks.
for i in $(seq 60); do
  if hdfs dfsadmin -report -live 2>/dev/null | grep -q '^Live datanodes ([1-9]'; then
    break
  fi
  [ "$i" = 60 ] && { echo "hdfs-init: no live datanode after 120s" >&2; exit 1; }
  sleep 2
done

hdfs dfs -mkdir -p "$root"
hdfs dfs -chown "$owner:$owner" "$root"
hdfs dfs -chmod 755 "$root"
# A home directory, as Hadoop tools expect one; the loader itself does not use it.
hdfs dfs -mkdir -p "/user/$owner"
hdfs dfs -chown "$owner:$owner" "/user/$owner"
hdfs dfs -ls -d "$root" "/user/$owner"
echo "hdfs-init: $root is ready for $owner"
