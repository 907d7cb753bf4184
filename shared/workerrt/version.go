package workerrt

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"regexp"
	"runtime/debug"

	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// DeploymentName is the Worker Deployment a worker binary polls as: one per worker,
// so each rolls out on its own.
func DeploymentName(workerName string) string { return "matih-" + workerName }

// buildIDRe is a Kubernetes label value, so a build ID can also name and select the
// build's pods.
var buildIDRe = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$`)

func checkBuildID(id string) error {
	if !buildIDRe.MatchString(id) {
		return fmt.Errorf("--build-id: expected 1 to 63 letters, digits, '.', '_' or '-' (starting and ending with a letter or digit), got %q", id)
	}
	return nil
}

// DefaultBuildID names this binary: its VCS revision (with "-dirty" when built from
// a modified tree), or, when the binary was built without VCS stamping, a hash of the
// executable, so two different builds never share an ID.
func DefaultBuildID() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		var rev, dirty string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					dirty = "-dirty"
				}
			}
		}
		if len(rev) >= 12 {
			return rev[:12] + dirty
		}
	}
	if sum, err := executableHash(); err == nil {
		return "exe-" + sum[:12]
	}
	return "unknown"
}

func executableHash() (string, error) {
	path, err := os.Executable()
	if err != nil {
		return "", err
	}
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// deploymentOptions opts the worker into Worker Versioning. Every workflow type is
// registered as Pinned (each package says why); the default covers any type that
// does not say, so a forgotten one cannot silently auto-upgrade onto new code.
func deploymentOptions(deployment, buildID string) worker.DeploymentOptions {
	return worker.DeploymentOptions{
		UseVersioning:             true,
		Version:                   worker.WorkerDeploymentVersion{DeploymentName: deployment, BuildID: buildID},
		DefaultVersioningBehavior: workflow.VersioningBehaviorPinned,
	}
}

// The variables the Temporal Worker Controller sets in each pod it runs.
const (
	EnvControllerDeployment = "TEMPORAL_DEPLOYMENT_NAME"
	EnvControllerBuildID    = "TEMPORAL_WORKER_BUILD_ID"
)

// controllerDeploymentRe is the deployment name a pod of this worker may be handed:
// its own, alone or after the Kubernetes namespace and a '/', as the controller
// names a WorkerDeployment resource's deployment (NAMESPACE/RESOURCE; the resources
// in deploy/kubernetes/controller are named after the deployment).
func controllerDeploymentRe(worker string) *regexp.Regexp {
	return regexp.MustCompile(`^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?/)?` + regexp.QuoteMeta(DeploymentName(worker)) + `$`)
}

// fromController takes the deployment name and build id from the controller's
// variables when they are set. A deployment that is not this worker's (a manifest
// that runs the pipeline image under the notify deployment) stops the start: its
// tasks would never reach this code. A --build-id that disagrees with the
// controller's is refused rather than silently overridden.
func (o *Options) fromController(spec Spec, getenv func(string) string) error {
	o.Deployment = DeploymentName(spec.Name)
	if name := getenv(EnvControllerDeployment); name != "" {
		if !controllerDeploymentRe(spec.Name).MatchString(name) {
			return fmt.Errorf("%s=%q: this is the %s worker, whose deployment is %s (or NAMESPACE/%s under the Worker Controller)",
				EnvControllerDeployment, name, spec.Name, DeploymentName(spec.Name), DeploymentName(spec.Name))
		}
		o.Deployment = name
	}
	if id := getenv(EnvControllerBuildID); id != "" {
		if o.BuildID != "" && o.BuildID != id {
			return fmt.Errorf("--build-id %q disagrees with %s=%q, which the Worker Controller set: drop one", o.BuildID, EnvControllerBuildID, id)
		}
		o.BuildID = id
	}
	return nil
}
