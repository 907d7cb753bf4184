package identity

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestFormat(t *testing.T) {
	assert.Equal(t, "ana@bastion (local, unverified)", Format("ana", "bastion", "", ""))
	assert.Equal(t, "ana@bastion (local, unverified; ssh 10.0.0.5)", Format("ana", "bastion", "10.0.0.5 51234 22", "10.9.9.9 1 2 3"))
	assert.Equal(t, "ana@bastion (local, unverified; ssh 10.9.9.9)", Format("ana", "bastion", "", "10.9.9.9 51234 10.0.0.1 22"))
}
