package hooks_test

import "madang/hooks"

var hooksLiftExpiredBans = hooks.LiftExpiredBans
