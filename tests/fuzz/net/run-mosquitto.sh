#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Run COMMAND against a Mosquitto started for it on a free loopback port, with
# kmqtt's default limits where Mosquitto has the same knob (maximum packet
# size 256 KiB: without it Mosquitto allocates whatever a remaining length
# claims, up to 256 MiB per connection):
#
#   tests/fuzz/net/run-mosquitto.sh COMMAND [ARGS...]
#
# COMMAND gets KMQTT_HOST=127.0.0.1, KMQTT_PORT=<port>, KMQTT_BROKER=mosquitto.
# The selftests' against-mosquitto.sh does the work; its scratch directory
# (config, broker log) is kept when the command fails.
[ $# -ge 1 ] || { echo "usage: $0 COMMAND [ARGS...]" >&2; exit 2; }
exec "$(dirname "$0")/../../selftests/against-mosquitto.sh" --exec "$@"
