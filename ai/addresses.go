package ai

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"strings"
	"syscall"
)

// withoutAddresses is err's text for a job's record, which its member
// reads: a network error names the model server's address and port (dial
// tcp 10.0.0.5:8000, lookup llm.internal, a certificate's host names, a
// redirect's target), often an internal one and the admins' to know (a
// model's options are private). The cause stays: connection refused, host
// name not found, certificate refused. found is false when err named none
// (serverError keeps the whole text for the operator's log).
func withoutAddresses(err error) (text string, found bool) {
	cause, what := networkCause(err)
	if cause == nil {
		return err.Error(), false
	}
	full, inner := err.Error(), cause.Error()
	if !strings.HasSuffix(full, inner) {
		return "could not reach the model server: " + what, true
	}
	return strings.TrimSuffix(full, inner) + what, true
}

// networkCause is the first error in err's chain that names an address,
// and what it says without one.
func networkCause(err error) (error, string) {
	var (
		redirect *redirectError
		op       *net.OpError
		dns      *net.DNSError
		verify   *tls.CertificateVerificationError
	)
	switch {
	case errors.As(err, &redirect):
		return redirect, redirect.public()
	case errors.As(err, &op):
		return op, opCause(op)
	case errors.As(err, &dns):
		return dns, dnsCause(dns)
	case errors.As(err, &verify): // crypto/tls wraps every certificate failure in one
		return verify, certificateCause(verify.Err)
	}
	return nil, ""
}

func opCause(op *net.OpError) string {
	var dns *net.DNSError
	var errno syscall.Errno
	switch {
	case errors.As(op.Err, &dns):
		return dnsCause(dns)
	case op.Timeout():
		return "the connection timed out"
	case errors.As(op.Err, &errno):
		return errno.Error()
	}
	return "a network error (" + op.Op + ")"
}

func dnsCause(dns *net.DNSError) string {
	switch {
	case dns.IsNotFound:
		return "its host name was not found"
	case dns.IsTimeout:
		return "looking up its host name timed out"
	}
	return "looking up its host name failed"
}

func certificateCause(err error) string {
	var host x509.HostnameError
	var authority x509.UnknownAuthorityError
	var invalid x509.CertificateInvalidError
	switch {
	case errors.As(err, &host):
		return "its TLS certificate is for another host name"
	case errors.As(err, &authority):
		return "its TLS certificate is signed by an unknown authority"
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		return "its TLS certificate has expired or is not valid yet"
	}
	return "its TLS certificate was refused"
}

// redirectError is a model server's redirect to another origin, which
// chatClient does not follow (the key would go along).
type redirectError struct{ to string }

func (e *redirectError) Error() string {
	return "the model server redirected to another origin (" + e.to + "); set options.base_url to the address that answers"
}

func (e *redirectError) public() string {
	return "the model server redirected to another origin; set options.base_url to the address that answers"
}
