package cluster

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// eksCalendar is Amazon EKS's Kubernetes release calendar: when each minor
// version became available on EKS and when its standard support ends (14 months
// later; 12 months of extended support, billed per cluster hour, follow).
//
// Sources, checked 2026-11-29:
//   - 1.29 to 1.34: the release calendar in the EKS user guide, "Understand the
//     Kubernetes version lifecycle on EKS",
//     https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html
//     (awsdocs/amazon-eks-user-guide, latest/ug/versioning/kubernetes-versions.adoc);
//   - 1.35: released on EKS 2026-01-28, standard support to 2027-03-27 (the same
//     calendar, as republished by endoflife.date/amazon-eks);
//   - 1.36: listed as available in the EKS user guide's "Review release notes for
//     Kubernetes versions on standard support"; its dates (released 2026-06-02,
//     standard support to 2027-08-02) come from a secondary source and match
//     the 14-month rule. `aws eks describe-cluster-versions` prints the
//     authoritative dates (endOfStandardSupportDate) for your account.
//
// Update this table when EKS releases a version; DefaultVersion should be the
// newest entry.
var eksCalendar = map[string]struct{ release, endOfStandard string }{
	"1.29": {"2024-01-23", "2025-03-23"},
	"1.30": {"2024-05-23", "2025-07-23"},
	"1.31": {"2024-09-26", "2025-11-26"},
	"1.32": {"2025-01-23", "2026-03-23"},
	"1.33": {"2025-05-29", "2026-07-29"},
	"1.34": {"2025-10-02", "2026-12-02"},
	"1.35": {"2026-01-28", "2027-03-27"},
	"1.36": {"2026-06-02", "2027-08-02"},
}

// EndOfStandardSupport returns when EKS standard support ends for a minor
// version, and false for a version the calendar does not list.
func EndOfStandardSupport(version string) (time.Time, bool) {
	e, ok := eksCalendar[version]
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(time.DateOnly, e.endOfStandard)
	return t, err == nil
}

// VersionWarning says why a version costs money or is about to, as of today;
// "" when it is in standard support. A version older than every calendar entry
// is past support; one newer than every entry is taken to be supported (the
// calendar is older than it).
func VersionWarning(version string, today time.Time) string {
	end, ok := EndOfStandardSupport(version)
	if !ok {
		if minorOf(version) < minorOf(oldestCalendarVersion()) {
			return fmt.Sprintf("Kubernetes %s is older than every version in the EKS calendar this toolkit knows: it is past standard support (extended support fees) or no longer offered; use %s", version, DefaultVersion)
		}
		return ""
	}
	if !today.Before(end) {
		return fmt.Sprintf("Kubernetes %s left EKS standard support on %s: the cluster pays extended-support fees per cluster hour; upgrade to %s (standard support to %s)",
			version, end.Format(time.DateOnly), DefaultVersion, eksCalendar[DefaultVersion].endOfStandard)
	}
	return ""
}

func oldestCalendarVersion() string {
	oldest := ""
	for v := range eksCalendar {
		if oldest == "" || minorOf(v) < minorOf(oldest) {
			oldest = v
		}
	}
	return oldest
}

// minorOf is the minor number of "1.N", or -1.
func minorOf(version string) int {
	n, err := strconv.Atoi(strings.TrimPrefix(version, "1."))
	if err != nil || !strings.HasPrefix(version, "1.") {
		return -1
	}
	return n
}
