package lbcontroller

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"
)

//go:embed iam-policy.json
var policyJSON string

// policyDocument returns the controller's IAM policy for the partition the
// region belongs to, compacted (IAM counts every character against its 6,144
// limit for managed policies).
func policyDocument(region string) (string, error) {
	doc := policyJSON
	if p := partition(region); p != "aws" {
		doc = strings.ReplaceAll(doc, `"arn:aws:`, `"arn:`+p+`:`)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, []byte(doc)); err != nil {
		return "", fmt.Errorf("iam-policy.json: %w", err)
	}
	return buf.String(), nil
}

// partition maps a region to its ARN partition.
func partition(region string) string {
	switch {
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	}
	return "aws"
}

// trustPolicy returns the IRSA trust policy: only the cluster's OIDC provider,
// only for the controller's service account, only with the STS audience.
func trustPolicy(providerARN, issuerURL string) (string, error) {
	issuer, err := issuerHost(issuerURL)
	if err != nil {
		return "", fmt.Errorf("oidcProviderUrl %q: %w", issuerURL, err)
	}
	if m := oidcARNRE.FindStringSubmatch(providerARN); m == nil {
		return "", fmt.Errorf("oidcProviderArn %q is not an IAM OIDC provider ARN", providerARN)
	} else if m[1] != issuer {
		return "", fmt.Errorf("oidcProviderUrl %q is not the issuer of oidcProviderArn %q", issuerURL, providerARN)
	}
	doc := map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{map[string]any{
			"Sid":       "ControllerServiceAccountOnly",
			"Effect":    "Allow",
			"Principal": map[string]any{"Federated": providerARN},
			"Action":    "sts:AssumeRoleWithWebIdentity",
			"Condition": map[string]any{"StringEquals": map[string]any{
				issuer + ":sub": "system:serviceaccount:" + Namespace + ":" + ServiceAccountName,
				issuer + ":aud": OIDCAudience,
			}},
		}},
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return "", err
	}
	return string(b), nil
}
