"""Request and response bodies of the user service."""

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, StringConstraints
from servicekit.text import NO_NUL_SCHEMA, reject_unstorable

# 128 characters bound the work an attacker can make argon2 do per request.
Password = Annotated[
    str,
    Field(min_length=8, max_length=128, json_schema_extra=NO_NUL_SCHEMA),
    AfterValidator(reject_unstorable),
]
Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    Field(json_schema_extra=NO_NUL_SCHEMA),
    AfterValidator(reject_unstorable),
]


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr
    password: Password
    name: Name


class UserPublic(BaseModel):
    id: UUID
    email: str
    name: str
    role: Literal["customer", "admin"]
    created_at: datetime


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr
    password: Annotated[
        str,
        Field(min_length=1, max_length=128, json_schema_extra=NO_NUL_SCHEMA),
        AfterValidator(reject_unstorable),
    ]


class TokenPublic(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
