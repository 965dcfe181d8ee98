package loadbalancer

import (
	"strconv"
	"time"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lb"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/eksbalance/eksbalance/internal/validation"
)

// Zonal shift (Amazon Application Recovery Controller) moves a load balancer's
// traffic away from an impaired Availability Zone: ARC fails the zone's health
// check, the zone's load-balancer addresses leave DNS and the surviving zones
// carry everything. Each load balancer opts in with the load-balancer attribute
// zonal_shift.config.enabled (off by default).
//
// What AWS accepts, from the Elastic Load Balancing user guides ("Enable zonal
// shift for your Network Load Balancer",
// https://docs.aws.amazon.com/elasticloadbalancing/latest/network/enable-zonal-shift.html;
// the ALB page,
// https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-zonal-shift.html;
// and ARC's "Network Load Balancers" resource page,
// https://docs.aws.amazon.com/r53recovery/latest/dg/arc-zonal-shift.resource-types.network-load-balancers.html):
//
//   - NLB with cross-zone load balancing ON: every target group must use
//     protocol TCP or TLS, must not have an ALB as its target, must have
//     target_health_state.unhealthy.connection_termination.enabled=false, and
//     must have load_balancing.cross_zone.enabled true or
//     use_load_balancer_configuration. The toolkit's target groups are TCP (the
//     TLS listener forwards TCP), ip or instance, and cross-zone follows the load
//     balancer, so the one setting to change is unhealthy connection
//     termination: it defaults to false here whenever zonal shift and cross-zone
//     are both on, and setting it true is a validation error.
//   - NLB with cross-zone OFF: supported with no further condition.
//   - ALB: supported with cross-zone on or off; AWS lists no target-group
//     condition ("Zonal shift won't work for single-AZ target groups", which the
//     toolkit's zone spread never produces).
//
// With unhealthy connection termination off, an NLB keeps a failing target's
// established connections; target_health_state.unhealthy.draining_interval_seconds
// (0-360000 s, only with termination off) bounds how long before they are
// closed. The toolkit sets it to the deregistration delay, so a target that
// fails its health check keeps its connections exactly as long as one that is
// deregistered during a rollout.

// Target-group and load-balancer attribute keys for zonal shift.
const (
	AttrZonalShift                     = "zonal_shift.config.enabled"
	AttrUnhealthyConnectionTermination = "target_health_state.unhealthy.connection_termination.enabled"
	AttrUnhealthyDrainingInterval      = "target_health_state.unhealthy.draining_interval_seconds"
)

// maxUnhealthyDraining is AWS's limit for the unhealthy draining interval.
const maxUnhealthyDraining = 360000 * time.Second

// setZonalShiftDefaults fills the NLB's zonal-shift settings; it runs after
// CrossZone and the deregistration delay are defaulted.
func (s *NLB) setZonalShiftDefaults() {
	if s.ZonalShift == nil {
		s.ZonalShift = ptr(true)
	}
	tg := &s.TargetGroup
	if tg.UnhealthyConnectionTermination == nil {
		// AWS's default is true; zonal shift on a cross-zone NLB requires false.
		tg.UnhealthyConnectionTermination = ptr(!(*s.ZonalShift && *s.CrossZone))
	}
	// An out-of-range delay is reported on its own field, not twice.
	if d := tg.DeregistrationDelay; !*tg.UnhealthyConnectionTermination && tg.UnhealthyDrainingInterval == nil && d != nil && inRange(*d, 0, maxDeregistrationDelay) {
		tg.UnhealthyDrainingInterval = ptr(*d)
	}
}

// setZonalShiftDefaults fills the ALB's zonal-shift setting.
func (s *ALB) setZonalShiftDefaults() {
	if s.ZonalShift == nil {
		s.ZonalShift = ptr(true)
	}
}

// validateZonalShift reports the combinations AWS rejects on an NLB.
func (s NLB) validateZonalShift(v *validation.Errors) {
	tg := s.TargetGroup
	if s.ZonalShift != nil && *s.ZonalShift && s.CrossZone != nil && *s.CrossZone &&
		tg.UnhealthyConnectionTermination != nil && *tg.UnhealthyConnectionTermination {
		v.Add("targetGroup.unhealthyConnectionTermination", true,
			"must be false while zonalShift and crossZone are both on: AWS rejects zonal_shift.config.enabled on a cross-zone NLB whose target groups terminate connections to unhealthy targets (turn zonalShift or crossZone off to keep it)")
	}
	if d := tg.UnhealthyDrainingInterval; d != nil {
		switch {
		case tg.UnhealthyConnectionTermination == nil || *tg.UnhealthyConnectionTermination:
			v.Add("targetGroup.unhealthyDrainingInterval", *d, "applies only with unhealthyConnectionTermination false and would be rejected by AWS")
		case !inRange(*d, 0, maxUnhealthyDraining):
			v.Add("targetGroup.unhealthyDrainingInterval", *d, "must be between 0 and 360000 seconds")
		default:
			validateWholeSeconds(v, "targetGroup.unhealthyDrainingInterval", *d)
		}
	}
}

// validateZonalShift reports NLB-only target-group settings set on an ALB.
func (s ALB) validateZonalShift(v *validation.Errors) {
	tg := s.TargetGroup
	if tg.UnhealthyConnectionTermination != nil {
		v.Add("targetGroup.unhealthyConnectionTermination", *tg.UnhealthyConnectionTermination, "must not be set on an ALB: it is an NLB target-group attribute")
	}
	if tg.UnhealthyDrainingInterval != nil {
		v.Add("targetGroup.unhealthyDrainingInterval", *tg.UnhealthyDrainingInterval, "must not be set on an ALB: it is an NLB target-group attribute")
	}
}

// unhealthyAttributes are the NLB target-group attributes for unhealthy
// targets, for the controller's target-group-attributes annotation.
func (tg TargetGroup) unhealthyAttributes(into map[string]string) {
	if tg.UnhealthyConnectionTermination == nil {
		return
	}
	into[AttrUnhealthyConnectionTermination] = strconv.FormatBool(*tg.UnhealthyConnectionTermination)
	if !*tg.UnhealthyConnectionTermination && tg.UnhealthyDrainingInterval != nil {
		into[AttrUnhealthyDrainingInterval] = seconds(*tg.UnhealthyDrainingInterval)
	}
}

// nlbTargetHealthStates is the pulumi-aws form of the unhealthy-target
// attributes for a directly managed NLB target group.
func nlbTargetHealthStates(tg TargetGroup) lb.TargetGroupTargetHealthStateArray {
	if tg.UnhealthyConnectionTermination == nil {
		return nil
	}
	st := lb.TargetGroupTargetHealthStateArgs{
		EnableUnhealthyConnectionTermination: pulumi.Bool(*tg.UnhealthyConnectionTermination),
	}
	if !*tg.UnhealthyConnectionTermination && tg.UnhealthyDrainingInterval != nil {
		st.UnhealthyDrainingInterval = pulumi.IntPtr(int(*tg.UnhealthyDrainingInterval / time.Second))
	}
	return lb.TargetGroupTargetHealthStateArray{st}
}
