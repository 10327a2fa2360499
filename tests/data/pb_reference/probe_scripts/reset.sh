#!/bin/bash
if [ -f /tmp/pbprobe/server.pid ]; then kill $(cat /tmp/pbprobe/server.pid) 2>/dev/null; sleep 1; fi
rm -rf /tmp/pbprobe/pb_data /tmp/pbprobe/pb_migrations
/tmp/pbbin/pocketbase superuser upsert admin@example.com 1234567890 --dir /tmp/pbprobe/pb_data >/dev/null
cd /tmp/pbprobe; /tmp/pbbin/pocketbase serve --http 127.0.0.1:8091 --dir /tmp/pbprobe/pb_data > /tmp/pbprobe/server.log 2>&1 &
echo $! > /tmp/pbprobe/server.pid
sleep 1.5
curl -s http://127.0.0.1:8091/api/health; echo
