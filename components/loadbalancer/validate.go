package loadbalancer

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/eksbalance/eksbalance/internal/validation"
)

// AWS limits checked before anything reaches AWS.
const (
	minNLBTCPIdle          = 60 * time.Second
	maxNLBTCPIdle          = 6000 * time.Second
	minALBIdle             = 1 * time.Second
	maxALBIdle             = 4000 * time.Second
	minClientKeepAlive     = 60 * time.Second
	maxClientKeepAlive     = 604800 * time.Second
	minHealthCheckInterval = 5 * time.Second
	maxHealthCheckInterval = 300 * time.Second
	minHealthCheckTimeout  = 2 * time.Second
	maxHealthCheckTimeout  = 120 * time.Second
	minThreshold           = 2
	maxThreshold           = 10
	maxDeregistrationDelay = 3600 * time.Second
	minSlowStart           = 30 * time.Second
	maxSlowStart           = 900 * time.Second
	maxPropagation         = 600 * time.Second
)

// Validate checks the settings after defaulting (on a copy, so an unset field
// is never an error) and returns every problem at once as *validation.Errors,
// with field paths such as "listeners[0].idleTimeout".
func (s NLB) Validate() error { return s.withDefaults().validate(false).Err() }

// Validate checks the settings after defaulting (on a copy) and returns every
// problem at once as *validation.Errors.
func (s ALB) Validate() error { return s.withDefaults().validate(false).Err() }

// validate checks defaulted settings. certFromInput says the certificate
// comes from a Pulumi input instead of TLS.CertificateARN.
func (s NLB) validate(certFromInput bool) *validation.Errors {
	v := validation.New("NLB settings")
	validateCommon(v, s.Scheme, s.TargetType, s.CrossZone, s.AcceptUnevenInstanceTargets)
	for i, l := range s.Listeners {
		f := fmt.Sprintf("listeners[%d]", i)
		validatePort(v, f+".port", l.Port)
		switch l.Protocol {
		case ProtocolTCP:
			if !inRange(l.IdleTimeout, minNLBTCPIdle, maxNLBTCPIdle) {
				v.Add(f+".idleTimeout", l.IdleTimeout, "must be between 60 and 6000 seconds for an NLB TCP listener")
			} else {
				validateWholeSeconds(v, f+".idleTimeout", l.IdleTimeout)
			}
		case ProtocolTLS:
			if l.IdleTimeout != 0 {
				v.Add(f+".idleTimeout", l.IdleTimeout, "must not be set on a TLS listener: AWS fixes its idle timeout at 350 seconds")
			}
		default:
			v.Add(f+".protocol", l.Protocol, "must be TCP or TLS on an NLB")
		}
	}
	validateUniquePorts(v, s.Listeners)
	validateTLS(v, s.TLS, s.Listeners, certFromInput)
	validateHealthCheck(v, s.HealthCheck, []Protocol{ProtocolTCP, ProtocolHTTP, ProtocolHTTPS}, false)
	tg := s.TargetGroup
	validateDeregistrationDelay(v, tg.DeregistrationDelay)
	if tg.Algorithm != "" {
		v.Add("targetGroup.algorithm", tg.Algorithm, "must be empty on an NLB: it always routes by flow hash")
	}
	if tg.SlowStart != nil {
		v.Add("targetGroup.slowStart", *tg.SlowStart, "must be empty on an NLB: slow start is an ALB feature")
	}
	s.validateZonalShift(v)
	validatePropagation(v, s.DeregistrationPropagation)
	validateUnhealthyLag(v, s.UnhealthyLag)
	return v
}

func (s ALB) validate(certFromInput bool) *validation.Errors {
	v := validation.New("ALB settings")
	validateCommon(v, s.Scheme, s.TargetType, s.CrossZone, s.AcceptUnevenInstanceTargets)
	for i, l := range s.Listeners {
		f := fmt.Sprintf("listeners[%d]", i)
		validatePort(v, f+".port", l.Port)
		if l.Protocol != ProtocolHTTP && l.Protocol != ProtocolHTTPS {
			v.Add(f+".protocol", l.Protocol, "must be HTTP or HTTPS on an ALB")
		}
		if l.IdleTimeout != 0 {
			v.Add(f+".idleTimeout", l.IdleTimeout, "must not be set on an ALB listener: use idleTimeout, which is load-balancer wide")
		}
	}
	validateUniquePorts(v, s.Listeners)
	validateTLS(v, s.TLS, s.Listeners, certFromInput)
	if !inRange(s.IdleTimeout, minALBIdle, maxALBIdle) {
		v.Add("idleTimeout", s.IdleTimeout, "must be between 1 and 4000 seconds for an ALB")
	} else {
		validateWholeSeconds(v, "idleTimeout", s.IdleTimeout)
	}
	if !inRange(s.ClientKeepAlive, minClientKeepAlive, maxClientKeepAlive) {
		v.Add("clientKeepAlive", s.ClientKeepAlive, "must be between 60 and 604800 seconds")
	} else {
		validateWholeSeconds(v, "clientKeepAlive", s.ClientKeepAlive)
	}
	validateHealthCheck(v, s.HealthCheck, []Protocol{ProtocolHTTP, ProtocolHTTPS}, true)
	tg := s.TargetGroup
	validateDeregistrationDelay(v, tg.DeregistrationDelay)
	if tg.ConnectionTermination != nil {
		v.Add("targetGroup.connectionTermination", *tg.ConnectionTermination, "must not be set on an ALB: connection termination on deregistration is an NLB feature")
	}
	if tg.PreserveClientIP != nil {
		v.Add("targetGroup.preserveClientIp", *tg.PreserveClientIP, "must not be set on an ALB: it proxies HTTP and passes the client address in X-Forwarded-For")
	}
	if tg.ProxyProtocolV2 {
		v.Add("targetGroup.proxyProtocolV2", true, "must not be set on an ALB: proxy protocol is an NLB feature (the ALB sends X-Forwarded-For)")
	}
	switch tg.Algorithm {
	case AlgorithmLeastOutstandingRequests, AlgorithmRoundRobin, AlgorithmWeightedRandom:
	default:
		v.Add("targetGroup.algorithm", tg.Algorithm, "must be least_outstanding_requests, round_robin or weighted_random")
	}
	if ss := tg.SlowStart; ss != nil && *ss != 0 {
		if !inRange(*ss, minSlowStart, maxSlowStart) {
			v.Add("targetGroup.slowStart", *ss, "must be 0 (off) or between 30 and 900 seconds")
		} else {
			validateWholeSeconds(v, "targetGroup.slowStart", *ss)
		}
		if tg.Algorithm == AlgorithmWeightedRandom {
			v.Add("targetGroup.slowStart", *ss, "must be 0 with the weighted_random algorithm, which does not support slow start")
		}
	}
	s.validateZonalShift(v)
	validatePropagation(v, s.DeregistrationPropagation)
	validateUnhealthyLag(v, s.UnhealthyLag)
	return v
}

func validateCommon(v *validation.Errors, scheme Scheme, tt TargetType, crossZone *bool, acceptUneven bool) {
	switch scheme {
	case SchemeInternal, SchemeInternetFacing:
	default:
		v.Add("scheme", scheme, "must be internal or internet-facing")
	}
	switch tt {
	case TargetTypeIP:
	case TargetTypeInstance:
		if crossZone != nil && !*crossZone && !acceptUneven {
			v.Add("crossZone", false, "instance targets with cross-zone off split traffic per zone, then per node, unevenly; turn cross-zone on, use ip targets, or set acceptUnevenInstanceTargets")
		}
	default:
		v.Add("targetType", tt, "must be ip or instance")
	}
}

func validatePort(v *validation.Errors, field string, port int) {
	if port < 1 || port > 65535 {
		v.Add(field, port, "must be between 1 and 65535")
	}
}

func validateUniquePorts(v *validation.Errors, ls []Listener) {
	seen := map[int]int{}
	for i, l := range ls {
		if j, dup := seen[l.Port]; dup {
			v.Add(fmt.Sprintf("listeners[%d].port", i), l.Port, "duplicates listeners[%d]: one listener per port", j)
			continue
		}
		seen[l.Port] = i
	}
}

func validateTLS(v *validation.Errors, t TLS, ls []Listener, certFromInput bool) {
	if hasTLS(ls) {
		if t.CertificateARN == "" && !certFromInput {
			v.Add("tls.certificateArn", "", "is required by a TLS/HTTPS listener")
		}
		if t.CertificateARN != "" && !strings.HasPrefix(t.CertificateARN, "arn:") {
			v.Add("tls.certificateArn", t.CertificateARN, "must be an ACM certificate ARN (arn:...)")
		}
		if !strings.HasPrefix(t.SSLPolicy, "ELBSecurityPolicy-") {
			v.Add("tls.sslPolicy", t.SSLPolicy, "must name an ELB security policy (ELBSecurityPolicy-...)")
		}
		return
	}
	if t.CertificateARN != "" {
		v.Add("tls.certificateArn", t.CertificateARN, "is set but no listener is TLS/HTTPS, so it would be ignored")
	}
	if t.SSLPolicy != "" {
		v.Add("tls.sslPolicy", t.SSLPolicy, "is set but no listener is TLS/HTTPS, so it would be ignored")
	}
}

// validateHealthCheck checks hc. strictTimeout makes timeout = interval an
// error too (ALB); NLB accepts a timeout up to and including the interval.
func validateHealthCheck(v *validation.Errors, hc HealthCheck, protocols []Protocol, strictTimeout bool) {
	ok := false
	for _, p := range protocols {
		ok = ok || hc.Protocol == p
	}
	if !ok {
		names := make([]string, len(protocols))
		for i, p := range protocols {
			names[i] = string(p)
		}
		v.Add("healthCheck.protocol", hc.Protocol, "must be one of %s", strings.Join(names, ", "))
	}
	if hc.Port != HealthCheckTrafficPort {
		if n, err := strconv.Atoi(hc.Port); err != nil || n < 1 || n > 65535 {
			v.Add("healthCheck.port", hc.Port, "must be traffic-port or a port between 1 and 65535")
		}
	}
	httpCheck := hc.Protocol == ProtocolHTTP || hc.Protocol == ProtocolHTTPS
	if httpCheck && !strings.HasPrefix(hc.Path, "/") {
		v.Add("healthCheck.path", hc.Path, "must start with /")
	}
	if !httpCheck && hc.Path != "" {
		v.Add("healthCheck.path", hc.Path, "applies only to HTTP/HTTPS health checks and would be ignored")
	}
	if !httpCheck && hc.SuccessCodes != "" {
		v.Add("healthCheck.successCodes", hc.SuccessCodes, "applies only to HTTP/HTTPS health checks and would be ignored")
	}
	intervalOK := inRange(hc.Interval, minHealthCheckInterval, maxHealthCheckInterval)
	if !intervalOK {
		v.Add("healthCheck.interval", hc.Interval, "must be between 5 and 300 seconds")
	} else {
		validateWholeSeconds(v, "healthCheck.interval", hc.Interval)
	}
	timeoutOK := inRange(hc.Timeout, minHealthCheckTimeout, maxHealthCheckTimeout)
	if !timeoutOK {
		v.Add("healthCheck.timeout", hc.Timeout, "must be between 2 and 120 seconds")
	} else {
		validateWholeSeconds(v, "healthCheck.timeout", hc.Timeout)
	}
	if intervalOK && timeoutOK {
		switch {
		case strictTimeout && hc.Timeout >= hc.Interval:
			v.Add("healthCheck.timeout", hc.Timeout, "must be below the interval %s", fmtDur(hc.Interval))
		case !strictTimeout && hc.Timeout > hc.Interval:
			v.Add("healthCheck.timeout", hc.Timeout, "must not exceed the interval %s", fmtDur(hc.Interval))
		}
	}
	if hc.HealthyThreshold < minThreshold || hc.HealthyThreshold > maxThreshold {
		v.Add("healthCheck.healthyThreshold", hc.HealthyThreshold, "must be between 2 and 10")
	}
	if hc.UnhealthyThreshold < minThreshold || hc.UnhealthyThreshold > maxThreshold {
		v.Add("healthCheck.unhealthyThreshold", hc.UnhealthyThreshold, "must be between 2 and 10")
	}
}

func validateDeregistrationDelay(v *validation.Errors, d *time.Duration) {
	if d == nil {
		return
	}
	if !inRange(*d, 0, maxDeregistrationDelay) {
		v.Add("targetGroup.deregistrationDelay", *d, "must be between 0 and 3600 seconds")
		return
	}
	validateWholeSeconds(v, "targetGroup.deregistrationDelay", *d)
}

func validatePropagation(v *validation.Errors, d time.Duration) {
	if !inRange(d, 0, maxPropagation) {
		v.Add("deregistrationPropagation", d, "must be between 0 and 600 seconds")
	}
}

func validateUnhealthyLag(v *validation.Errors, d time.Duration) {
	if !inRange(d, 0, maxPropagation) {
		v.Add("unhealthyLag", d, "must be between 0 and 600 seconds")
	}
}

func validateWholeSeconds(v *validation.Errors, field string, d time.Duration) {
	if d%time.Second != 0 {
		v.Add(field, d, "must be a whole number of seconds (AWS takes integer seconds)")
	}
}

func inRange(d, lo, hi time.Duration) bool { return d >= lo && d <= hi }
