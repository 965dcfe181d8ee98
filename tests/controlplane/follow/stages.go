package follow

// GatedPodStages is kwok configuration (controlplane.Options.KwokConfig) for pods whose
// readiness and termination this package drives. It replaces kwok's built-in pod stages:
//
//   - pod-ready-gated gives a new pod its address and Running phase like the built-in
//     stage, but leaves readiness gates alone and reports Ready=False while the pod has
//     any, as a kubelet does until every gate condition is True;
//   - pod-delete-late removes a deleted pod only after 10 s, so that the pod stays
//     Terminating (and keeps its address) while Kubelet runs its preStop hook and grace
//     period; Kubelet removes it as soon as its process has exited.
const GatedPodStages = `apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: pod-ready-gated
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchExpressions:
      - key: .metadata.deletionTimestamp
        operator: DoesNotExist
      - key: .status.podIP
        operator: DoesNotExist
  next:
    statusTemplate: |
      {{ $now := Now }}
      conditions:
        - type: Initialized
          status: "True"
          lastTransitionTime: {{ $now | Quote }}
        - type: ContainersReady
          status: "True"
          lastTransitionTime: {{ $now | Quote }}
        - type: Ready
          status: {{ if .spec.readinessGates }}"False"{{ else }}"True"{{ end }}
          lastTransitionTime: {{ $now | Quote }}
      containerStatuses:
      {{ range .spec.containers }}
        - name: {{ .name | Quote }}
          image: {{ .image | Quote }}
          ready: true
          restartCount: 0
          state:
            running:
              startedAt: {{ $now | Quote }}
      {{ end }}
      hostIP: {{ NodeIPWith .spec.nodeName | Quote }}
      podIP: {{ PodIPWith .spec.nodeName ( or .spec.hostNetwork false ) ( or .metadata.uid "" ) ( or .metadata.name "" ) ( or .metadata.namespace "" ) | Quote }}
      phase: Running
      startTime: {{ $now | Quote }}
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: pod-delete-late
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchExpressions:
      - key: .metadata.deletionTimestamp
        operator: Exists
  delay:
    durationMilliseconds: 10000
  next:
    finalizers:
      empty: true
    delete: true
`
