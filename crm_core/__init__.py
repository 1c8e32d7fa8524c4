"""Domain core of the call-center CRM: model, persistence, services, event bus, ports.

crm_core imports none of the adapter packages (cti, agent_ui, ivr, recordings);
they depend on it, never the other way round.
"""
