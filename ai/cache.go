package ai

import (
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
)

// modelInfo is what a route or a worker needs to know of an ais record. It
// is read without the model column, which may hold megabytes.
type modelInfo struct {
	Id        string        `db:"id"`
	Name      string        `db:"name"`
	Kind      string        `db:"kind"`
	Status    string        `db:"status"`
	IsVisible bool          `db:"is_visible"`
	Options   types.JSONRaw `db:"options"`
	Updated   string        `db:"updated"`
}

func findModelInfo(app core.App, id string) (*modelInfo, error) {
	info := &modelInfo{}
	err := app.DB().Select("id", "name", "kind", "status", "is_visible", "options", "updated").
		From(Models).Where(dbx.HashExp{"id": id}).One(info)
	return info, err
}

// loadedModel is a Predictor ready for jobs, with the job time limit its
// options ask for.
type loadedModel struct {
	updated   string
	predictor Predictor
	timeout   time.Duration
}

// predictorCache keeps one loaded Predictor per model, keyed by the
// record's id and updated time, so a model is parsed once per version and
// not once per job (a text model is about a megabyte of JSON).
type predictorCache struct {
	app            core.App
	defaultTimeout time.Duration

	mu   sync.Mutex
	byID map[string]*loadedModel
}

func newPredictorCache(app core.App, defaultTimeout time.Duration) *predictorCache {
	return &predictorCache{app: app, defaultTimeout: defaultTimeout, byID: map[string]*loadedModel{}}
}

// get returns the Predictor of info's model version, loading it on a miss.
func (c *predictorCache) get(info *modelInfo) (*loadedModel, error) {
	c.mu.Lock()
	m := c.byID[info.Id]
	c.mu.Unlock()
	if m != nil && m.updated == info.Updated {
		return m, nil
	}
	m, err := c.load(info.Id)
	if err != nil {
		return nil, fmt.Errorf("model %q cannot be loaded (%w); an admin must train it again", info.Name, err)
	}
	c.mu.Lock()
	c.byID[info.Id] = m
	c.mu.Unlock()
	return m, nil
}

func (c *predictorCache) load(id string) (*loadedModel, error) {
	record, err := c.app.FindRecordById(Models, id)
	if err != nil {
		return nil, err
	}
	kind, ok := KindByName(record.GetString("kind"))
	if !ok {
		return nil, fmt.Errorf("unknown kind %q", record.GetString("kind"))
	}
	options := json.RawMessage(rawJSON(record, "options"))
	p, err := kind.Load(rawJSON(record, "model"), options)
	if err != nil {
		return nil, err
	}
	return &loadedModel{updated: record.GetString("updated"), predictor: p, timeout: c.timeout(options)}, nil
}

// timeout is options.timeout_seconds when set, else the queue's default.
// Kinds check the option's range when an admin trains the model.
func (c *predictorCache) timeout(options json.RawMessage) time.Duration {
	var opts struct {
		TimeoutSeconds float64 `json:"timeout_seconds"`
	}
	if json.Unmarshal(options, &opts) == nil && opts.TimeoutSeconds > 0 {
		return time.Duration(opts.TimeoutSeconds * float64(time.Second))
	}
	return c.defaultTimeout
}

// cached returns the loaded model of id if there is one: loaded when the
// model was ready, and forgotten whenever the model is saved or deleted, so
// a job of a cached model needs no database read to find it ready.
func (c *predictorCache) cached(id string) *loadedModel {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.byID[id]
}

func (c *predictorCache) forget(id string) {
	c.mu.Lock()
	delete(c.byID, id)
	c.mu.Unlock()
}

// rawJSON returns a json field's stored value (nil when empty).
func rawJSON(record *core.Record, field string) json.RawMessage {
	raw, _ := record.GetRaw(field).(types.JSONRaw)
	if len(raw) == 0 {
		return nil
	}
	return json.RawMessage(raw)
}
