package workerrt

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTheWorkerControllersVariablesNameTheVersion(t *testing.T) {
	spec := Spec{Name: "worker-pipeline"}
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }

	var o Options
	require.NoError(t, o.fromController(spec, env(nil)))
	assert.Equal(t, "matih-worker-pipeline", o.Deployment, "without the controller, today's name")
	assert.Empty(t, o.BuildID)

	o = Options{}
	require.NoError(t, o.fromController(spec, env(map[string]string{EnvControllerDeployment: "matih-workers/matih-worker-pipeline", EnvControllerBuildID: "5d8f2c1"})))
	assert.Equal(t, "matih-workers/matih-worker-pipeline", o.Deployment)
	assert.Equal(t, "5d8f2c1", o.BuildID)

	// The controller names a deployment NAMESPACE/RESOURCE, never the other way round.
	o = Options{}
	assert.Error(t, o.fromController(spec, env(map[string]string{EnvControllerDeployment: "matih-worker-pipeline/matih-workers"})))

	o = Options{}
	err := o.fromController(spec, env(map[string]string{EnvControllerDeployment: "matih-workers/matih-worker-notify"}))
	assert.ErrorContains(t, err, `TEMPORAL_DEPLOYMENT_NAME="matih-workers/matih-worker-notify": this is the worker-pipeline worker, whose deployment is matih-worker-pipeline`)

	o = Options{BuildID: "local-1"}
	err = o.fromController(spec, env(map[string]string{EnvControllerBuildID: "5d8f2c1"}))
	assert.ErrorContains(t, err, `--build-id "local-1" disagrees with TEMPORAL_WORKER_BUILD_ID="5d8f2c1"`)
	o = Options{BuildID: "5d8f2c1"}
	assert.NoError(t, o.fromController(spec, env(map[string]string{EnvControllerBuildID: "5d8f2c1"})), "the same id twice is fine")
}
