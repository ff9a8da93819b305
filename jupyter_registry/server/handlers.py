"""REST handlers for models, versions, aliases and checkpoints (SPEC §3).

Each verb is parse → one service call → serialise; the declarations given to
:func:`~jupyter_registry.server.base.endpoint` are also the OpenAPI document.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from ..schemas import (
    MAX_OFFSET,
    MAX_PAGE,
    CreateCheckpoint,
    CreateModel,
    DescribeCheckpoint,
    DescribeModel,
    DescribeVersion,
    ListActionsResponse,
    ListCheckpointsResponse,
    ListModelsQuery,
    ListModelsResponse,
    ListVersionsResponse,
    PatchMetadata,
    RegisterVersion,
    SetAlias,
    UpdateModel,
    UpdateVersion,
    parse_version_ref,
)
from ..service import validate_model_name
from .base import Operation, RegistryHandler, endpoint


class PageQuery(BaseModel):
    """Paging of ``GET models/{name}/versions`` (newest first) and ``…/history`` (oldest first)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)
    limit: int | None = Field(None, ge=1, le=MAX_PAGE)


class ListCheckpointsQuery(BaseModel):
    """Filters of ``GET checkpoints``: one run's checkpoints in order, or all newest first."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    run: str | None = Field(None, max_length=512)
    limit: int | None = Field(None, ge=1, le=MAX_PAGE)


MODEL_ERRORS = (400, 404)


class ModelsHandler(RegistryHandler):
    @endpoint(
        Operation(
            "List models, filtered, sorted and paged",
            query=ListModelsQuery,
            response=ListModelsResponse,
            errors=(400,),
            query_aliases={"labels": "label"},
        )
    )
    async def get(self, query: ListModelsQuery) -> ListModelsResponse:
        return await self.call(self.service.list_models, query)

    @endpoint(
        Operation(
            "Create a model",
            body=CreateModel,
            response=DescribeModel,
            status=201,
            errors=(400, 409),
        )
    )
    async def post(self, body: CreateModel) -> DescribeModel:
        model = await self.call(self.service.create_model, body)
        self.created(self.api_url("models", model.name))
        return model


class ModelHandler(RegistryHandler):
    @endpoint(Operation("Describe a model", response=DescribeModel, errors=MODEL_ERRORS))
    async def get(self, name: str) -> DescribeModel:
        return await self.call(self.service.get_model, validate_model_name(name))

    @endpoint(
        Operation(
            "Change a model's description, notes, labels or archived flag",
            body=UpdateModel,
            response=DescribeModel,
            errors=MODEL_ERRORS,
        )
    )
    async def patch(self, name: str, body: UpdateModel) -> DescribeModel:
        return await self.call(self.service.update_model, validate_model_name(name), body)

    @endpoint(Operation("Delete a model and its versions", status=204, errors=MODEL_ERRORS))
    async def delete(self, name: str) -> None:
        await self.call(self.service.delete_model, validate_model_name(name))


class ModelMetadataHandler(RegistryHandler):
    @endpoint(
        Operation(
            "Merge top-level metadata keys and remove keys, in one transaction",
            body=PatchMetadata,
            response=DescribeModel,
            errors=MODEL_ERRORS,
        )
    )
    async def patch(self, name: str, body: PatchMetadata) -> DescribeModel:
        return await self.call(self.service.patch_model_metadata, validate_model_name(name), body)


class HistoryHandler(RegistryHandler):
    @endpoint(
        Operation(
            "Who changed what: the model's actions (models, versions, aliases), oldest first",
            query=PageQuery,
            response=ListActionsResponse,
            errors=MODEL_ERRORS,
        )
    )
    async def get(self, name: str, query: PageQuery) -> ListActionsResponse:
        return await self.call(
            self.service.get_history, validate_model_name(name), query.offset, query.limit
        )


class VersionsHandler(RegistryHandler):
    @endpoint(
        Operation(
            "List a model's versions, newest first",
            query=PageQuery,
            response=ListVersionsResponse,
            errors=MODEL_ERRORS,
        )
    )
    async def get(self, name: str, query: PageQuery) -> ListVersionsResponse:
        return await self.call(
            self.service.list_versions, validate_model_name(name), query.offset, query.limit
        )

    @endpoint(
        Operation(
            "Register a checkpoint as the model's next version",
            body=RegisterVersion,
            response=DescribeVersion,
            status=201,
            errors=(400, 404, 409),
        )
    )
    async def post(self, name: str, body: RegisterVersion) -> DescribeVersion:
        version = await self.call(self.service.register_version, validate_model_name(name), body)
        self.created(self.api_url("models", name, "versions", str(version.version)))
        return version


VERSION_REF = "a version number (3 or v3), 'latest' or an alias"


class VersionHandler(RegistryHandler):
    @endpoint(Operation("Describe a version", response=DescribeVersion, errors=MODEL_ERRORS))
    async def get(self, name: str, ref: str) -> DescribeVersion:
        return await self.call(
            self.service.get_version, validate_model_name(name), parse_version_ref(ref)
        )

    @endpoint(
        Operation(
            "Change a version's name, comment or notes",
            body=UpdateVersion,
            response=DescribeVersion,
            errors=MODEL_ERRORS,
        )
    )
    async def patch(self, name: str, ref: str, body: UpdateVersion) -> DescribeVersion:
        return await self.call(
            self.service.update_version, validate_model_name(name), parse_version_ref(ref), body
        )

    @endpoint(
        Operation("Delete a version (its number is never reused)", status=204, errors=MODEL_ERRORS)
    )
    async def delete(self, name: str, ref: str) -> None:
        await self.call(
            self.service.delete_version, validate_model_name(name), parse_version_ref(ref)
        )


class VersionMetadataHandler(RegistryHandler):
    @endpoint(
        Operation(
            "Merge and remove a version's top-level metadata keys, in one transaction",
            body=PatchMetadata,
            response=DescribeVersion,
            errors=MODEL_ERRORS,
        )
    )
    async def patch(self, name: str, ref: str, body: PatchMetadata) -> DescribeVersion:
        return await self.call(
            self.service.patch_version_metadata,
            validate_model_name(name),
            parse_version_ref(ref),
            body,
        )


class AliasHandler(RegistryHandler):
    @endpoint(
        Operation(
            "Point an alias at a version, moving it from any other version",
            body=SetAlias,
            response=DescribeVersion,
            errors=MODEL_ERRORS,
        )
    )
    async def put(self, name: str, alias: str, body: SetAlias) -> DescribeVersion:
        return await self.call(self.service.set_alias, validate_model_name(name), alias, body)

    @endpoint(Operation("Remove an alias", status=204, errors=MODEL_ERRORS))
    async def delete(self, name: str, alias: str) -> None:
        await self.call(self.service.remove_alias, validate_model_name(name), alias)


class CheckpointsHandler(RegistryHandler):
    @endpoint(
        Operation(
            "List checkpoints: newest first, or one run's in the order saved",
            query=ListCheckpointsQuery,
            response=ListCheckpointsResponse,
            errors=(400,),
        )
    )
    async def get(self, query: ListCheckpointsQuery) -> ListCheckpointsResponse:
        return await self.call(self.service.list_checkpoints, query.run, query.limit)

    @endpoint(
        Operation(
            "Record a checkpoint whose file contents were uploaded to blobs/{sha256}",
            body=CreateCheckpoint,
            response=DescribeCheckpoint,
            status=201,
            errors=(400,),
        )
    )
    async def post(self, body: CreateCheckpoint) -> DescribeCheckpoint:
        checkpoint = await self.call(self.service.create_checkpoint, body)
        self.created(self.api_url("checkpoints", checkpoint.uuid))
        return checkpoint


class CheckpointHandler(RegistryHandler):
    @endpoint(Operation("Describe a checkpoint", response=DescribeCheckpoint, errors=(404,)))
    async def get(self, checkpoint_uuid: str) -> DescribeCheckpoint:
        return await self.call(self.service.get_checkpoint, checkpoint_uuid)

    @endpoint(Operation("Delete a checkpoint no version points at", status=204, errors=(404, 409)))
    async def delete(self, checkpoint_uuid: str) -> None:
        await self.call(self.service.delete_checkpoint, checkpoint_uuid)
