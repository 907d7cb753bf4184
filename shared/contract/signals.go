package contract

// ApprovalSignal is the `approval` signal and update: a human decision on a run that is
// waiting because its quality was below threshold.
type ApprovalSignal struct {
	Approved bool   `json:"approved"`
	Approver string `json:"approver"`
	Reason   string `json:"reason"`
}

// CancelSignal is the `cancel` signal, kept for the Python service's API; Temporal
// cancellation does the same.
type CancelSignal struct {
	RequestedBy string `json:"requested_by"`
	Reason      string `json:"reason"`
}
