package main

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/eksbalance/eksbalance/policies/manifests"
	"github.com/eksbalance/eksbalance/policies/rules"
)

// The subset of SARIF 2.1.0 (OASIS) that `check -o sarif` writes: one run, the
// rule catalog as the driver's rules, one result per violation located at the
// object's file and line, and the unreadable inputs as tool execution
// notifications. Code-scanning UIs (GitHub, GitLab, Azure DevOps) read it.
const (
	sarifVersion = "2.1.0"
	sarifSchema  = "https://json.schemastore.org/sarif-2.1.0.json"
	// srcRoot is the base of relative artifact URIs: the directory check ran
	// in, which code-scanning uploads take to be the repository root.
	srcRoot = "%SRCROOT%"
	// fingerprintKey names the partial fingerprint that identifies a finding
	// across runs whatever line it moved to: rule and object.
	fingerprintKey = "eksbalanceFinding/v1"
)

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool        sarifTool         `json:"tool"`
	Invocations []sarifInvocation `json:"invocations"`
	Results     []sarifResult     `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	InformationURI string      `json:"informationUri"`
	Version        string      `json:"version,omitempty"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID                   string             `json:"id"`
	Name                 string             `json:"name"`
	ShortDescription     sarifText          `json:"shortDescription"`
	FullDescription      sarifText          `json:"fullDescription"`
	Help                 sarifText          `json:"help"`
	DefaultConfiguration sarifConfiguration `json:"defaultConfiguration"`
	Properties           sarifRuleProps     `json:"properties"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifConfiguration struct {
	Level string `json:"level"`
}

type sarifRuleProps struct {
	Tags []string `json:"tags"`
}

type sarifInvocation struct {
	ExecutionSuccessful        bool                `json:"executionSuccessful"`
	ToolExecutionNotifications []sarifNotification `json:"toolExecutionNotifications,omitempty"`
}

type sarifNotification struct {
	Level     string          `json:"level"`
	Message   sarifText       `json:"message"`
	Locations []sarifLocation `json:"locations,omitempty"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             sarifText         `json:"message"`
	Locations           []sarifLocation   `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
}

type sarifLocation struct {
	PhysicalLocation *sarifPhysical `json:"physicalLocation,omitempty"`
	LogicalLocations []sarifLogical `json:"logicalLocations,omitempty"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId,omitempty"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
}

type sarifLogical struct {
	Name               string `json:"name"`
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind"`
}

// sarifLevel maps a rule's severity to a SARIF level: mandatory rules fail a
// pipeline (error), advisory ones inform (warning).
func sarifLevel(s rules.Severity) string {
	if s == rules.SeverityMandatory {
		return "error"
	}
	return "warning"
}

func (r *checkReport) sarif() sarifLog {
	catalog := rules.Catalog()
	index := map[string]int{}
	driver := sarifDriver{Name: "eksbalance", InformationURI: "https://github.com/eksbalance/eksbalance", Version: toolVersion()}
	for i, rule := range catalog {
		index[rule.ID] = i
		driver.Rules = append(driver.Rules, sarifRule{
			ID:                   rule.ID,
			Name:                 camel(rule.ID),
			ShortDescription:     sarifText{rule.Title},
			FullDescription:      sarifText{rule.Doc},
			Help:                 sarifText{rule.Doc},
			DefaultConfiguration: sarifConfiguration{sarifLevel(rule.Severity)},
			Properties:           sarifRuleProps{Tags: []string{"eksbalance", "kubernetes", string(rule.Scope) + "-scope"}},
		})
	}
	run := sarifRun{Tool: sarifTool{Driver: driver}, Results: []sarifResult{}}
	inv := sarifInvocation{ExecutionSuccessful: len(r.unreadable) == 0}
	for _, e := range r.unreadable {
		n := sarifNotification{Level: "error", Message: sarifText{e.Error()}}
		if loc, ok := fileLocation(e.Path, "", e.Line); ok {
			n.Locations = []sarifLocation{{PhysicalLocation: loc}}
		}
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, n)
	}
	run.Invocations = []sarifInvocation{inv}
	for _, v := range r.violations {
		res := sarifResult{
			RuleID:    v.Rule,
			RuleIndex: index[v.Rule],
			Level:     sarifLevel(v.Severity),
			Message:   sarifText{v.Message},
			PartialFingerprints: map[string]string{
				fingerprintKey: fingerprint(v.Rule, v.Resource),
			},
		}
		loc := sarifLocation{LogicalLocations: []sarifLogical{logicalLocation(v.Resource)}}
		if phys, ok := fileLocation(v.File, v.Source, v.Line); ok {
			loc.PhysicalLocation = phys
		}
		res.Locations = []sarifLocation{loc}
		run.Results = append(run.Results, res)
	}
	return sarifLog{Schema: sarifSchema, Version: sarifVersion, Runs: []sarifRun{run}}
}

// fileLocation locates a finding in a file: a relative path against %SRCROOT%,
// an absolute one as a file URI. For standard input the helm template the
// document came from is the best file there is (without a line: the rendered
// line is not the template's); without one there is no physical location.
func fileLocation(path, source string, line int) (*sarifPhysical, bool) {
	if path == "" {
		return nil, false
	}
	if path == manifests.StdinName {
		if source == "" {
			return nil, false
		}
		return &sarifPhysical{ArtifactLocation: artifact(source)}, true
	}
	p := &sarifPhysical{ArtifactLocation: artifact(path)}
	if line > 0 {
		p.Region = &sarifRegion{StartLine: line}
	}
	return p, true
}

func artifact(path string) sarifArtifact {
	slash := filepath.ToSlash(filepath.Clean(path))
	if filepath.IsAbs(path) {
		return sarifArtifact{URI: (&url.URL{Scheme: "file", Path: slash}).String()}
	}
	return sarifArtifact{URI: (&url.URL{Path: slash}).String(), URIBaseID: srcRoot}
}

func logicalLocation(ref rules.Ref) sarifLogical {
	fq := ref.Kind + "/" + ref.Name
	if ref.Namespace != "" {
		fq = ref.Namespace + "/" + fq
	}
	return sarifLogical{Name: ref.Name, FullyQualifiedName: fq, Kind: "object"}
}

func fingerprint(rule string, ref rules.Ref) string {
	sum := sha256.Sum256([]byte(rule + "\x00" + ref.Kind + "\x00" + ref.Namespace + "\x00" + ref.Name))
	return hex.EncodeToString(sum[:16])
}

// camel turns a rule ID (zone-spread) into the PascalCase name SARIF viewers
// show (ZoneSpread).
func camel(id string) string {
	var b strings.Builder
	for _, part := range strings.Split(id, "-") {
		if part != "" {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String()
}

// toolVersion is the module version the binary was built from, when it was
// built from a tagged module ("" for a development build).
func toolVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return ""
}
